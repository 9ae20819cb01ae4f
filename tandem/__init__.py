"""The composition root: the only package that sees handlers, services and storage together.

``app`` wires the Telegram application (``build_application``), ``cli`` is the ``tandem``
command, ``demo`` plays the example programme offline, ``logging_setup`` keeps secrets out of
the logs.
"""
