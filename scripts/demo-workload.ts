/**
 * The demo's sample workload: it writes and reads one S3 object with an S3 client that
 * is given no credentials, so the AWS SDK finds them on its own through
 * AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE, as a workload that wid serves would.
 *
 *   DEMO_BUCKET=NAME npx tsx scripts/demo-workload.ts
 */

import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";

const bucket = process.env.DEMO_BUCKET;
if (bucket === undefined || bucket === "") {
  console.error("demo-workload: DEMO_BUCKET is not set; pass the bucket to write to");
  process.exit(1);
}
for (const name of ["AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"]) {
  if (process.env[name] === undefined) console.error(`demo-workload: ${name} is not set, so the SDK has no web identity to use`);
}

const s3 = new S3Client({ forcePathStyle: true });
const key = "demo/hello.txt";
await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: "written by a workload without keys\n" }));
const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
console.log(`demo-workload: put and got s3://${bucket}/${key}: ${(await object.Body?.transformToString())?.trim() ?? ""}`);
