"""This process's lifecycle flags (draining), read by /readyz and the consumers."""

_draining = False


def draining_set(value: bool = True) -> None:
    global _draining
    _draining = value


def is_draining() -> bool:
    return _draining
