"""``import stein.compat.flask`` at the top of an app: the one-line form of
:func:`stein.compat.install`, after which ``import flask`` gives Stein.

>>> import stein.compat.flask
>>> import flask
>>> flask.Flask.__name__
'Stein'
"""

from . import install

install()
