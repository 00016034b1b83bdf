"""Site search (`/search/?q=` and the type-ahead's `/search/suggest/?q=`): published therapies,
classes, conditions and glossary terms, grouped by type, best match first, each saying why it
matched; and the name matching the lists' `q` filter shares with it.

Every name of a record (its own name, brand names, abbreviations, other names) is a row of
`SearchTerm` (catalog/models/search.py) in two derived forms: `key` (casefolded, no accents,
letters and digits only, so "Crohns", "crohn's" and "CROHN\u2019S" are the same, as are "il2"
and "IL-2") and `words` (the same, word by word). The story, module by module:

- query.py: the typed text in its compared forms and the SQL per database that finds rows of
  the index (search's candidates, misspellings, the lists' `q`);
- ranking.py: tiers, one result per record, groups and their counts, the best match and
  spellings to try when nothing matches (`search()`);
- index.py: rebuilding the whole index from the records (`rebuild_index()`);
- views.py: SearchView (with what to browse when nothing matches) and the suggest endpoint.
"""

from .index import rebuild_index
from .query import Query, records_named, similarity
from .ranking import GROUPS, search
from .views import SearchView, suggest

__all__ = [
    "GROUPS",
    "Query",
    "SearchView",
    "rebuild_index",
    "records_named",
    "search",
    "similarity",
    "suggest",
]
