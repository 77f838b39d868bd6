"""DynamoDB's numbers, each with the AWS documentation page it comes from.

Every rule bloop enforces before sending reads its number here, so a changed
service limit is a one-line change.
"""
from __future__ import annotations

import decimal

# "Constraints in Amazon DynamoDB" / "Item size and attributes".
MAX_ITEM_SIZE = 400 * 1024  # bytes, attribute names included

# "Supported data types and naming rules in Amazon DynamoDB" / "Partition key".
MAX_HASH_KEY_SIZE = 2048  # bytes
# Same page / "Sort key".
MAX_RANGE_KEY_SIZE = 1024  # bytes

# "Supported data types and naming rules" / "Naming rules".
MIN_ATTRIBUTE_NAME = 1
MAX_ATTRIBUTE_NAME = 65535  # bytes
MAX_KEY_ATTRIBUTE_NAME = 255  # bytes, for table and index key attributes
MIN_TABLE_NAME = 3
MAX_TABLE_NAME = 255
TABLE_NAME_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-"

# "Supported data types and naming rules" / "Number".
MAX_NUMBER_DIGITS = 38
MIN_POSITIVE_NUMBER = decimal.Decimal("1E-130")
MAX_NUMBER = decimal.Decimal("9.9999999999999999999999999999999999999E+125")


def number_size(text: str) -> int:
    """DynamoDB's size of a number in its wire form ("Item size"): about one byte per two
    significant digits, plus one."""
    if text.isdigit():
        return (len(text) + 3) // 2
    mantissa = text.split("e")[0].split("E")[0]
    plain = mantissa.replace(".", "", 1).lstrip("-+")
    if plain.isdigit():
        return (len(plain) + 3) // 2
    digits = sum(1 for ch in mantissa if ch.isdigit())
    return 1 + (digits + 1) // 2


# "Constraints in Amazon DynamoDB" / "Nested attribute depth".
MAX_NESTING_DEPTH = 32

# "Constraints in Amazon DynamoDB" / "Expression parameters".
MAX_EXPRESSION_SIZE = 4096  # bytes, any one expression string
MAX_IN_OPERANDS = 100

# "BatchWriteItem" (API reference).
MAX_BATCH_WRITE = 25
# "BatchGetItem" (API reference).
MAX_BATCH_GET = 100

# "TransactWriteItems" / "TransactGetItems" (API reference).
MAX_TRANSACTION_ITEMS = 100
MAX_TRANSACTION_SIZE = 4 * 1024 * 1024
# "TransactWriteItems" (API reference): ClientRequestToken is valid for 10 minutes.
TRANSACTION_TOKEN_LIFETIME = 10 * 60  # seconds
# Same page: ClientRequestToken is 1 to 36 characters.
MAX_TRANSACTION_TOKEN = 36

# "Service, account, and table quotas in Amazon DynamoDB" / "Secondary indexes".
MAX_GSIS = 20
MAX_LSIS = 5
# Same page / "Projected secondary index attributes per table".
MAX_PROJECTED_ATTRIBUTES = 100
