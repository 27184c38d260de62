// Client-side checks that mirror the API's rules closely enough to catch
// typos before a round trip; the API stays the judge and its errors are shown.

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const USERNAME = /^[\w.@+-]+$/;

export function validateSignUp({ email, username, password, confirm }) {
  const errors = {};
  if (!email.trim()) errors.email = ['Enter your email address.'];
  else if (!EMAIL.test(email.trim())) errors.email = ['Enter a valid email address.'];
  if (!username.trim()) errors.username = ['Choose a username.'];
  else if (!USERNAME.test(username.trim()))
    errors.username = ['Use only letters, digits and @/./+/-/_ characters.'];
  if (!password) errors.password = ['Choose a password.'];
  else if (password.length < 8) errors.password = ['Use at least 8 characters.'];
  if (password && confirm !== password) errors.confirm = ['The passwords do not match.'];
  return errors;
}

export function validateSignIn({ email, password }) {
  const errors = {};
  if (!email.trim()) errors.email = ['Enter your email address.'];
  else if (!EMAIL.test(email.trim())) errors.email = ['Enter a valid email address.'];
  if (!password) errors.password = ['Enter your password.'];
  return errors;
}
