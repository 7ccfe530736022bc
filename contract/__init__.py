"""What the kiosk and the hall server must agree on, kept once: the service catalog and its
loader errors, the request and response bodies of the hall API and the field types they are
built from, the rating and case vocabularies and limits, ID-number validation, age and the
keyed hash, the masking of names and phone numbers, the salted hash of short secrets
(staff PIN and password), and the signatures of the citizen's phone links (``links``: an
offline ticket's is made by the kiosk and checked by the hall).

Pure: pydantic models, constants and functions. No Qt, no FastAPI, no SQLAlchemy, no HTTP;
the only I/O is ``contract.catalog.load_catalog`` reading the file it is given. It imports
none of ``kiosk``, ``hall``, ``ui``, ``devices``, ``voice`` (import-linter checks this).
"""
