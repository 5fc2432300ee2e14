#!/usr/bin/env bash
# Creates the Terraform remote state backend once per AWS account, idempotently:
# an S3 bucket (versioned, encrypted, public access blocked, TLS only) and a
# DynamoDB table for state locking. Matches terraform/backend.tf.example.
#
# Usage: deploy/bootstrap-state.sh BUCKET [REGION] [LOCK_TABLE]
#   BUCKET      globally unique bucket name, e.g. acme-watchstore-terraform-state
#   REGION      default: $AWS_REGION, else eu-west-1
#   LOCK_TABLE  default: watchstore-terraform-locks
# Needs the AWS CLI v2 and credentials allowed to create S3 buckets and
# DynamoDB tables (an administrator, once).
set -euo pipefail

if [ "$#" -lt 1 ] || [ "$1" = "-h" ] || [ "$1" = "--help" ]; then
  sed -n '2,11p' "$0"
  exit 2
fi
bucket=$1
region=${2:-${AWS_REGION:-eu-west-1}}
table=${3:-watchstore-terraform-locks}

command -v aws >/dev/null 2>&1 || { echo "bootstrap-state: the AWS CLI is required" >&2; exit 1; }
account=$(aws sts get-caller-identity --query Account --output text)
echo "bootstrap-state: account $account, region $region, bucket $bucket, table $table"

if aws s3api head-bucket --bucket "$bucket" >/dev/null 2>&1; then
  echo "bootstrap-state: bucket $bucket exists"
else
  if [ "$region" = "us-east-1" ]; then
    aws s3api create-bucket --bucket "$bucket" --region "$region" >/dev/null
  else
    aws s3api create-bucket --bucket "$bucket" --region "$region" \
      --create-bucket-configuration "LocationConstraint=$region" >/dev/null
  fi
  echo "bootstrap-state: created bucket $bucket"
fi

aws s3api put-public-access-block --bucket "$bucket" --public-access-block-configuration \
  BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true
aws s3api put-bucket-ownership-controls --bucket "$bucket" \
  --ownership-controls 'Rules=[{ObjectOwnership=BucketOwnerEnforced}]'
aws s3api put-bucket-versioning --bucket "$bucket" --versioning-configuration Status=Enabled
aws s3api put-bucket-encryption --bucket "$bucket" --server-side-encryption-configuration \
  '{"Rules":[{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"AES256"},"BucketKeyEnabled":true}]}'
aws s3api put-bucket-policy --bucket "$bucket" --policy "$(cat <<POLICY
{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "DenyInsecureTransport",
      "Effect": "Deny",
      "Principal": "*",
      "Action": "s3:*",
      "Resource": ["arn:aws:s3:::$bucket", "arn:aws:s3:::$bucket/*"],
      "Condition": {"Bool": {"aws:SecureTransport": "false"}}
    }
  ]
}
POLICY
)"
echo "bootstrap-state: bucket $bucket is private, versioned, encrypted and TLS-only"

if aws dynamodb describe-table --table-name "$table" --region "$region" >/dev/null 2>&1; then
  echo "bootstrap-state: table $table exists"
else
  aws dynamodb create-table --table-name "$table" --region "$region" \
    --attribute-definitions AttributeName=LockID,AttributeType=S \
    --key-schema AttributeName=LockID,KeyType=HASH \
    --billing-mode PAY_PER_REQUEST \
    --sse-specification Enabled=true >/dev/null
  aws dynamodb wait table-exists --table-name "$table" --region "$region"
  aws dynamodb update-continuous-backups --table-name "$table" --region "$region" \
    --point-in-time-recovery-specification PointInTimeRecoveryEnabled=true >/dev/null
  echo "bootstrap-state: created table $table"
fi

cat <<NEXT

Next, in terraform/:
  cp backend.tf.example backend.tf
  # set bucket = "$bucket", region = "$region", dynamodb_table = "$table"
  terraform init
NEXT
