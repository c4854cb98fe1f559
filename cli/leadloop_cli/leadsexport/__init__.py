"""``leadloop leads``: stored leads out of LeadsTable, as Meta's lead export has them.

* :mod:`.pager` reads a form's ``FETCHED`` leads oldest first through the ``ByFormCreated`` index,
  a page of keys at a time, with ``BatchGetItem`` for the answers (the index does not hold them);
* :mod:`.columns` turns a lead into cells (Meta's columns, one per question in form order, one per
  disclaimer check box) and makes cells safe to open in a spreadsheet;
* :mod:`.output` writes OUT atomically; :mod:`.export` runs the passes; :mod:`.show` formats one lead.

Answers go to OUT (or stdout) and nowhere else: errors and progress carry ids and counts only.
"""
