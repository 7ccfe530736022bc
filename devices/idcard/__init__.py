"""devices/idcard"""
