"""The game's rules as a pure state machine: state, command and time in; new state and events out.

Nothing in this package does I/O, reads a clock or touches Django. `machine.step` is the one entry point.
"""
