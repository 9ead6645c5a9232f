"""The knowledge generator: derives ``rules/knowledge/*.json`` from pinned wheels.

Not part of the installed package: users read the generated data; maintainers run
``python -m knowledge_builder.build`` from a checkout to regenerate it.
"""
