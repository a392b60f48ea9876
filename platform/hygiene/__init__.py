"""Hand-hygiene compliance from staff badges and dispensers (WHO "My 5 Moments", DOMAIN.md §6).

Results are anonymous by construction: the types that leave this package carry ward, zone type,
day and role category, and no field that could hold a badge or a person.
"""
