"""One widget per screen of the citizen's visit (home, groups, items, identify, notice,
ticket, thanks, rating, case, pre-check), on ``base.ScreenBase``: built once, a state change
sets their text, visibility and style."""
