# shellcheck shell=bash
# What the shell test suites share: ok/bad lines with their counters, the
# summary, and a private environment with no credentials, profiles or
# endpoints of the machine (tests reach only loopback). Source it from the
# top of the repository:
#   . tests/lib/check.sh

# shellcheck disable=SC2034
CHECK_PASS=0 CHECK_FAIL=0

ok() { CHECK_PASS=$((CHECK_PASS + 1)); echo "ok   $1"; }
bad() { CHECK_FAIL=$((CHECK_FAIL + 1)); echo "FAIL $1"; }

# check_summary NAME: the counts line; returns 1 when anything failed.
check_summary() {
  echo "$1: $CHECK_PASS passed, $CHECK_FAIL failed"
  [ "$CHECK_FAIL" -eq 0 ]
}

# check_private_env DIR: HOME and the state directory under DIR, fixed test
# credentials, and none of the machine's AWS settings; the instance metadata
# address is never asked.
check_private_env() {
  export HOME=$1/home XDG_STATE_HOME=$1/state
  unset XDG_CONFIG_HOME AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL \
    AWS_ENDPOINT_URL_EC2 AWS_REGION AWS_DEFAULT_REGION AWS_MAX_ATTEMPTS GITHUB_ACTIONS
  export AWS_ACCESS_KEY_ID=AKIDCHECKTEST AWS_SECRET_ACCESS_KEY=check-test-secret
  export AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE=$1/none AWS_SHARED_CREDENTIALS_FILE=$1/none
  mkdir -p "$HOME"
}
