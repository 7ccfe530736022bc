"""The citizen's journeys at the kiosk, one module each, on the visit core (kiosk/visit.py):
ticket (取号, 办事指南), pre-check (材料预审), rating (评价), case (办不成事反映), help
(呼叫工作人员). Each owns its part of the state and registers with the ``Visit``; the core
imports none of them; kiosk/flow.py puts them together for the screens."""
