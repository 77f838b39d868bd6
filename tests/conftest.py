import os

# Tests never reach AWS: fake credentials and a fixed region for every client.
os.environ["AWS_ACCESS_KEY_ID"] = "testing"
os.environ["AWS_SECRET_ACCESS_KEY"] = "testing"
os.environ["AWS_DEFAULT_REGION"] = "us-east-1"
os.environ.pop("AWS_PROFILE", None)
os.environ.pop("AWS_SESSION_TOKEN", None)
os.environ.pop("AWS_ENDPOINT_URL", None)
os.environ.pop("AWS_ENDPOINT_URL_DYNAMODB", None)
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
os.environ["AWS_CONFIG_FILE"] = os.devnull
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
# Clients bloop makes itself skip botocore's parameter validation (bloop checks its own
# requests); the suite keeps it on, so a malformed request still fails here.
os.environ["BLOOP_VALIDATE_REQUESTS"] = "1"
