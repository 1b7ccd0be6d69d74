"""Checks of the arguments of the addon's public (JSON-RPC) methods: one error type, one wording.

Every public method checks its arguments with these helpers before reading anything, so that a
wrong argument gives a translated ``ValidationError`` naming the argument, its allowed range and
the value received, never a traceback.
"""

from odoo.exceptions import ValidationError

#: Largest period, history or look-back accepted by a public method, in days (10 years).
MAX_DAYS = 3660


def is_whole_number(value):
    """True for an ``int`` that is not a ``bool`` (JSON ``true`` is not a number of days)."""
    return isinstance(value, int) and not isinstance(value, bool)


def check_whole_number(env, value, name, minimum, maximum):
    """``value`` if it is a whole number from ``minimum`` to ``maximum``.

    :raise ValidationError: saying the name, the range and the value received
    """
    if not is_whole_number(value) or not minimum <= value <= maximum:
        raise ValidationError(
            env._(
                "%(name)s must be a whole number from %(min)s to %(max)s, got %(value)r.",
                name=name,
                min=minimum,
                max=maximum,
                value=value,
            )
        )
    return value


def check_days(env, days, name="days", minimum=1):
    """``days`` if it is a whole number of days from ``minimum`` to ``MAX_DAYS``."""
    return check_whole_number(env, days, name, minimum, MAX_DAYS)


def check_record_id(env, value, name):
    """``value`` if it can be a record id (a positive whole number)."""
    if not is_whole_number(value) or value < 1:
        raise ValidationError(
            env._(
                "%(name)s must be a record id (a positive whole number), got %(value)r.",
                name=name,
                value=value,
            )
        )
    return value


def check_choice(env, value, name, choices):
    """``value`` if it is one of ``choices``."""
    if not isinstance(value, str) or value not in choices:
        raise ValidationError(
            env._(
                "%(name)s must be one of %(choices)s, got %(value)r.",
                name=name,
                choices=", ".join(choices),
                value=value,
            )
        )
    return value
