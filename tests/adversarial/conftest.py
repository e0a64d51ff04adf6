"""Attacks as one address would make them, through real clients against a real server process.

One file per class of abuse (tests/adversarial/test_<class>.py): each attack asserts that it
fails safely (a clear refusal to its sender, nothing broadcast, nothing lost). The growth test
measures what one address can add per minute at the default limits against the bounds in
docs/architecture.md ("Every state, its bound and its end"). The fixtures are tests/conftest.py's.
"""
