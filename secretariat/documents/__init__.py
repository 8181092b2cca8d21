"""The document register and its circulation procedures (a sub-package of the base layer).

Its models are imported by `secretariat.models`, so they belong to the
`secretariat` app and migrate with it.
"""
