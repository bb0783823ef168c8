/**
 * The {@code aws} provider: EC2 instances, Elastic IPs and managed security groups behind {@link
 * io.proxyfleet.cloud.CloudProvider}. The only package that imports the AWS SDK.
 *
 * <p>API economy: lookups are served from one cached, paginated, cluster-filtered DescribeInstances
 * and one DescribeAddresses per region, refreshed at most every {@link
 * io.proxyfleet.cloud.aws.Ec2Settings#snapshotTtl()} and invalidated after this provider's own
 * mutations, so a resync of N proxies costs the same few calls for any N. Client-side token buckets
 * keep the operator well under EC2's request limits; errors are classified in one place, {@link
 * io.proxyfleet.cloud.aws.Ec2Errors}.
 */
package io.proxyfleet.cloud.aws;
