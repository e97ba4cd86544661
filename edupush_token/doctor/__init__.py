"""``edupush-token doctor``: checks a real deployment and says what to fix.

Each check is a small function from plain data (:class:`Deployment`, web
answers, worker setup) to a list of :class:`Finding`; gathering the data
(``edumfa_plugin.inspection``, :mod:`.web`) and rendering (:mod:`.render`) are
separate, so every finding can be produced and tested on its own.
"""
