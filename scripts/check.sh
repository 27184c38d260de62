#!/usr/bin/env bash
# make check: formatting, static analysis, banned functions, shell lint.
# Exits non-zero naming every check that failed.
set -u
cd "$(dirname "$0")/.." || exit 1
failed=()

c_files=$(git ls-files -co --exclude-standard 'cli/*.[ch]' 'lib/*.[ch]' 'tests/unit/*.[ch]' 'tests/fuzz/*.[ch]')

echo "check: clang-format"
# shellcheck disable=SC2086
if ! clang-format --dry-run --Werror $c_files; then
  failed+=(clang-format)
fi

echo "check: cppcheck"
src_files=$(git ls-files -co --exclude-standard 'cli/*.c' 'lib/*.c')
# shellcheck disable=SC2086
if ! cppcheck --quiet --error-exitcode=1 --std=c11 --enable=warning,portability,performance \
  --inline-suppr --suppress=missingIncludeSystem -I lib -I . $src_files; then
  failed+=(cppcheck)
fi

echo "check: banned functions"
# shellcheck disable=SC2086
if ! scripts/banned.sh $c_files; then
  failed+=(banned-functions)
fi

echo "check: shellcheck"
sh_files=()
while IFS= read -r f; do
  [ -f "$f" ] || continue
  case "$f" in
    *.sh) sh_files+=("$f") ;;
    *)
      if head -n1 "$f" | grep -qE '^#!.*\b(ba)?sh\b'; then sh_files+=("$f"); fi ;;
  esac
done < <(git ls-files -co --exclude-standard | grep -vE '(^|/)node_modules/')
if [ ${#sh_files[@]} -gt 0 ] && ! shellcheck -x "${sh_files[@]}"; then
  failed+=(shellcheck)
fi

if [ ${#failed[@]} -gt 0 ]; then
  echo "check: FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "check: all passed"
