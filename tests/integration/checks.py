"""The tally the integration scripts keep: each check prints one line ('ok    what' or
'FAIL  what: detail'), and summary() prints 'N passed, M failed' and gives the exit status."""

passed = 0
failed = 0


def check(ok, what, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"ok    {what}")
    else:
        failed += 1
        print(f"FAIL  {what}" + (f": {detail}" if detail else ""))
    return ok


def summary(status_if_all_passed=0):
    """Prints the tally; returns 1 when a check failed, else status_if_all_passed."""
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else status_if_all_passed
