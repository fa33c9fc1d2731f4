"""Signals of the register for the apps above it, which the register does not know.

`register_changed` is sent, with `municipality_ids`, after register data of Kommunen changed
(an import of a newer GV100AD file, an edit in the admin): names, kinds and places that public
pages, open data and documents show. The public site listens and renews its version.
"""

from django.dispatch import Signal

register_changed = Signal()
