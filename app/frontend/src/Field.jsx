export default function Field({ id, label, type = 'text', value, onChange, errors, autoComplete }) {
  const messages = errors || [];
  const errorId = `${id}-errors`;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        name={id}
        type={type}
        value={value}
        autoComplete={autoComplete}
        aria-invalid={messages.length > 0 ? 'true' : undefined}
        aria-describedby={messages.length > 0 ? errorId : undefined}
        onChange={(event) => onChange(event.target.value)}
      />
      {messages.length > 0 && (
        <ul className="field-errors" id={errorId} role="alert">
          {messages.map((message) => (
            <li key={message}>{message}</li>
          ))}
        </ul>
      )}
    </div>
  );
}
