"""The document scanner for the material pre-check: a camera (``camera``) or a watched folder
(``folder``, demos and tests), and page quality checks (``page``), behind ``base.Scanner``."""
