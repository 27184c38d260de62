import { useState } from 'react';
import { ApiError } from './api.js';

const UNREACHABLE = 'The server cannot be reached. Try again.';

// What the sign-up and sign-in forms share: the fields' state, checking them
// before any request, then the API call; the API's field errors go next to
// their fields, any other failure in one line above the button (explain(error)
// may word it; it returns nothing to keep the default).
export function useApiForm(initial, validate, send, explain = () => '') {
  const [form, setForm] = useState(initial);
  const [errors, setErrors] = useState({});
  const [formError, setFormError] = useState('');
  const [busy, setBusy] = useState(false);
  const set = (name) => (value) => setForm((f) => ({ ...f, [name]: value }));

  async function submit(event) {
    event.preventDefault();
    setFormError('');
    const found = validate(form);
    setErrors(found);
    if (Object.keys(found).length > 0) return;
    setBusy(true);
    try {
      await send(form);
    } catch (error) {
      if (error instanceof ApiError && Object.keys(error.fieldErrors).length > 0) {
        setErrors(error.fieldErrors);
      } else {
        setFormError(explain(error) || (error instanceof ApiError ? error.detail : UNREACHABLE));
      }
    } finally {
      setBusy(false);
    }
  }

  return { form, set, errors, formError, busy, submit };
}
