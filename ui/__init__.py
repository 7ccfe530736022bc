"""The kiosk's touchscreen, in PySide6 (the only package that imports Qt).

The main window (``main_window``) shows one screen per ``kiosk.visit.Screen`` (``screens/``),
built once and updated in place from the flow's state; taps call the journeys' actions. Also
here: the staff panel (``staff/``), the Qt runner that brings worker results back to the GUI
thread (``runner``), the theme and 长辈版 sizes (``theme``), the one language helper for
catalog names (``language``; UI text goes through ``tr()``), the scripted demo and the
screen tour. Screens never talk to devices or HTTP.
"""
