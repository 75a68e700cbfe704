"""EDI X12 over SFTP: the codec (``model``, ``codec/``), the documents (``documents/``), the transport
(``transport``) and the connector that puts them behind ``connectors.base``."""
