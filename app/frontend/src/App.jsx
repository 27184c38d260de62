import { useCallback, useEffect, useState } from 'react';
import { session } from './api.js';
import Dashboard from './pages/Dashboard.jsx';
import SignIn from './pages/SignIn.jsx';
import SignUp from './pages/SignUp.jsx';

// A three-page app does not need a router library: the path lives in state and
// in the history, and nginx sends every unknown path back to index.html.
function usePath() {
  const [path, setPath] = useState(window.location.pathname);
  useEffect(() => {
    const onPop = () => setPath(window.location.pathname);
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);
  const navigate = useCallback((to, { replace = false } = {}) => {
    if (replace) window.history.replaceState(null, '', to);
    else window.history.pushState(null, '', to);
    setPath(to);
  }, []);
  return [path, navigate];
}

export default function App() {
  const [path, navigate] = usePath();
  const [token, setToken] = useState(() => session.get());
  const [notice, setNotice] = useState('');
  const [lastEmail, setLastEmail] = useState('');

  const signedIn = Boolean(token);
  const wanted = path === '/signup' || path === '/signin' || path === '/dashboard' ? path : null;
  const target = signedIn ? (wanted === '/dashboard' ? wanted : '/dashboard') : wanted === '/signup' ? '/signup' : '/signin';

  useEffect(() => {
    if (target !== path) navigate(target, { replace: true });
  }, [target, path, navigate]);

  const onRegistered = useCallback(
    (user) => {
      setLastEmail(user.email);
      setNotice('Account created. Sign in to continue.');
      navigate('/signin');
    },
    [navigate],
  );
  const onSignedIn = useCallback(
    (newToken) => {
      session.set(newToken);
      setToken(newToken);
      setNotice('');
      navigate('/dashboard');
    },
    [navigate],
  );
  const signOut = useCallback(
    (message) => {
      session.clear();
      setToken(null);
      setNotice(message);
      navigate('/signin');
    },
    [navigate],
  );
  const onSignedOut = useCallback(() => signOut('You are signed out.'), [signOut]);
  const onExpired = useCallback(() => signOut('Your session has expired. Sign in again.'), [signOut]);

  let page;
  if (target === '/dashboard') page = <Dashboard token={token} onSignedOut={onSignedOut} onExpired={onExpired} />;
  else if (target === '/signup') page = <SignUp onRegistered={onRegistered} navigate={navigate} />;
  else page = <SignIn key={lastEmail} onSignedIn={onSignedIn} navigate={navigate} notice={notice} initialEmail={lastEmail} />;

  return (
    <div className="app">
      <nav className="topbar">
        <span className="brand">craftctl demo</span>
      </nav>
      {page}
    </div>
  );
}
