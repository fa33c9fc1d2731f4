"""The ministry's admin of the award: the review of applications and the awards.

Status is never edited here: every decision is a POST to a view of its own that calls the
matching function in `awards.services`, which checks the state, writes the history and sends mail.
"""

from .applications import ApplicationAdmin
from .awards import AwardAdmin
from .mails import UndeliveredMailAdmin
from .reminders import NearThresholdAdmin, ThresholdReminderAdmin

__all__ = [
    "ApplicationAdmin",
    "AwardAdmin",
    "NearThresholdAdmin",
    "ThresholdReminderAdmin",
    "UndeliveredMailAdmin",
]
