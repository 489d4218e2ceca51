"""Demo data for 乡品通: real Guangdong divisions and regional public brands,
believable (clearly fake) households, a catalogue, CMS pages and role accounts.

Entry point: :func:`shop.core.demo.seed.seed_demo` (used by ``manage.py seed_demo``).
"""
