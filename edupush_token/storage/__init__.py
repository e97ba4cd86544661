"""The plugin's own tables and its queries over the host's, in plain SQLAlchemy.

eduMFA and privacyIDEA share the schema of the tables read here (``token``,
``tokeninfo``, ``tokenowner``, ``challenge``), so this layer needs no host:
the adapter hands it a session and says where its host marks a decline.
"""
