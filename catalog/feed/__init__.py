"""The changes feed API consumers sync from (`/api/v1/changes/`): triggers note every write
(triggers.py), a catch-up turns what they noted into entries of what changed in the public
catalog, in commit order (journal.py), for each resource the API lists (resources.py)."""
