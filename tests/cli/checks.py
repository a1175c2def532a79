"""The check/tally the CLI test scripts share: each failed check prints one FAIL line, the run
ends with ctest's 'N passed, N failed' line and exit 1 on any failure."""
import sys

failures = []
passed = 0


def check(cond, what):
    global passed
    if cond:
        passed += 1
    else:
        failures.append(what)
        print("FAIL:", what)


def finish():
    print(f"{passed} passed, {len(failures)} failed")
    sys.exit(1 if failures else 0)
