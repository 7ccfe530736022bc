"""devices/scanner"""
