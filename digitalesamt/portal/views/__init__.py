"""The municipal portal `/portal/`: every view requires a clerk and sees only their Kommune.

Every view runs behind `municipal_staff_required` (portal.access) and reaches an object only
through a helper scoped to the user's Kommune, so a clerk never sees or changes another
Kommune's data.
"""
