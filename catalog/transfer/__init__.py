"""Bulk import and export of catalog records in the admin, as CSV or XLSX files
(django-import-export): resources.py maps each kind of record to columns an editor reads
(related records by their address, the slug), admin.py adds Import and Export to a changelist,
forms.py refuses files the import cannot read before anything is read from them."""
