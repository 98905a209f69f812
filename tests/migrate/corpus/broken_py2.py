# Left over from a Python 2 port: the scanner reports it and goes on.
from flask import g

def show():
    print "user:", g.user
