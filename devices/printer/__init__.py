"""devices/printer"""
