"""The attributes GakuNin's identity providers release, by their URI names (SAML 2 NameFormat
``uri``), and the names the product reads them by. GakuNin's own attributes (jaDisplayName, jao,
jaou) are under its arc 1.3.6.1.4.1.32264; the others are eduPerson's and X.500's."""

NAMES = {
    "urn:oid:1.3.6.1.4.1.5923.1.1.1.6": "eduPersonPrincipalName",
    "urn:oid:1.3.6.1.4.1.5923.1.1.1.10": "eduPersonTargetedID",
    "urn:oid:1.3.6.1.4.1.5923.1.1.1.1": "eduPersonAffiliation",
    "urn:oid:1.3.6.1.4.1.5923.1.1.1.9": "eduPersonScopedAffiliation",
    "urn:oid:0.9.2342.19200300.100.1.3": "mail",
    "urn:oid:2.16.840.1.113730.3.1.241": "displayName",
    "urn:oid:1.3.6.1.4.1.32264.1.1.3": "jaDisplayName",
    "urn:oid:2.5.4.42": "givenName",
    "urn:oid:2.5.4.4": "sn",
    "urn:oid:1.3.6.1.4.1.32264.1.1.2": "jaGivenName",
    "urn:oid:1.3.6.1.4.1.32264.1.1.1": "jasn",
    "urn:oid:2.5.4.10": "o",
    "urn:oid:1.3.6.1.4.1.32264.1.1.4": "jao",
    "urn:oid:2.5.4.11": "ou",
    "urn:oid:1.3.6.1.4.1.32264.1.1.5": "jaou",
}

MAP = {
    "identifier": "urn:oasis:names:tc:SAML:2.0:attrname-format:uri",
    "fro": NAMES,
    "to": {name: uri for uri, name in NAMES.items()},
}
