"""The staff panel: hidden corner gesture, PIN pad, device pages, save and apply."""
