"""``dlderive serve``: a local web app to check a derivation as it is typed and preview a handout.

``app`` (Starlette routes, request validation), ``pool`` (supervised worker processes, bounded
queue), ``work`` (what the workers compute), ``handouts`` (the served folder, watched with
watchfiles), ``examples`` (the examples menu); ``static/`` and ``templates/`` are the pages,
served by the app itself (nothing is loaded from the network)."""
