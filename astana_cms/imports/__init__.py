"""The import toolkit: the newsroom's spreadsheets in, the record out, in the same columns.

The columns, the cell widgets and the exports are django-import-export resources (one per kind,
declared by the app that owns the model: `rounds/resources.py`, `statements/resources.py`). Its
row-by-row import loop is not used: it reads the database several times per row and brings a
few hundred rows a second, where months of excerpts are hundreds of thousands of rows. The
engine here reads the file once, looks every reference up in dictionaries loaded once, anchors
each quote in its (cached) source, and writes in bulk, in one transaction:

- a dry run reports every row's outcome (new, updated, unchanged, conflict, error) and every
  problem at once, with row, column and reason; it writes nothing;
- an import writes only when no row fails: all or nothing;
- everything imported lands as a draft with an audit record naming the file and the importer;
  a verified or published entry is never overwritten (an identical row is unchanged, a
  differing one a conflict, skipped and reported), nor is a registry entry (actors, venues,
  outlets, topics), to which an import only adds aliases.

The pieces, below every app: `reader` (files), `dates`, `widgets` (cells), `engine` (plan,
write, report; `register` for the apps' resources), `registry` (named registries with aliases)
and `admin` (the admin's import pages and exports).
"""
