package io.proxyfleet.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import java.util.ArrayList;
import java.util.List;

/**
 * The AWS EC2 provider: where proxies run (regions, subnets), what they run on (instance type,
 * image), who may reach them (security groups) and which identity the operator uses.
 */
public class AwsProviderSpec {

  /** An AWS region name such as {@code eu-central-1} or {@code us-gov-west-1}. */
  public static final String REGION_PATTERN = "^[a-z]{2}(-[a-z]+)+-[0-9]+$";

  @Required
  @Size(min = 1, max = 32)
  @JsonPropertyDescription(
      "Regions this profile serves, e.g. [eu-central-1, us-east-1]. Fleets may place proxies only in these;"
          + " the profile status lists the subnets found in each.")
  private List<@Pattern(REGION_PATTERN) String> regions = new ArrayList<>();

  @JsonPropertyDescription(
      "Secret in the profile's namespace holding static access keys. When absent the AWS SDK default chain is"
          + " used: environment, web identity (IRSA on EKS), container or instance role.")
  private AwsCredentialsSecret credentialsSecret;

  @Pattern("^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+$")
  @JsonPropertyDescription(
      "IAM role to assume (STS AssumeRole) with the credentials above or from the default chain, e.g."
          + " arn:aws:iam::123456789012:role/proxyfleet.")
  private String assumeRoleArn;

  @Size(min = 2, max = 1224)
  @JsonPropertyDescription(
      "External id the role's trust policy demands, if any (used with assumeRoleArn).")
  private String externalId;

  @Pattern("^https?://[^\\s/]+(/.*)?$")
  @JsonPropertyDescription(
      "Endpoint override for EC2 and STS, e.g. http://127.0.0.1:5000 for the moto emulator or a VPC endpoint."
          + " Leave empty for the public AWS endpoints.")
  private String endpoint;

  @Default("t3.micro")
  @Pattern("^[a-z0-9-]+\\.[a-z0-9-]+$")
  @JsonPropertyDescription(
      "EC2 instance type of proxy VMs. Default: t3.micro (x86_64; pick an image of the same architecture).")
  private String instanceType = "t3.micro";

  @JsonPropertyDescription(
      "Machine image of proxy VMs (Debian or Ubuntu: user data installs packages with apt). Default: the newest"
          + " official Debian 12 amd64 image (owner 136693071363, name debian-12-amd64-*).")
  private AwsImageSpec image;

  @Required
  @JsonPropertyDescription(
      "Subnets proxies are launched into, resolved in each region: by id and/or by tags (their union). They"
          + " need a route to an internet gateway; proxies get Elastic IPs.")
  private AwsSubnetSelector subnets;

  @JsonPropertyDescription(
      "Security groups of proxy VMs. When absent the operator manages one group per VPC and port that opens"
          + " only the proxy port (TCP, 0.0.0.0/0 and ::/0), tagged with the cluster tag.")
  private AwsSecurityGroupSpec securityGroups;

  public List<String> getRegions() {
    return regions;
  }

  public void setRegions(List<String> regions) {
    this.regions = regions;
  }

  public AwsCredentialsSecret getCredentialsSecret() {
    return credentialsSecret;
  }

  public void setCredentialsSecret(AwsCredentialsSecret credentialsSecret) {
    this.credentialsSecret = credentialsSecret;
  }

  public String getAssumeRoleArn() {
    return assumeRoleArn;
  }

  public void setAssumeRoleArn(String assumeRoleArn) {
    this.assumeRoleArn = assumeRoleArn;
  }

  public String getExternalId() {
    return externalId;
  }

  public void setExternalId(String externalId) {
    this.externalId = externalId;
  }

  public String getEndpoint() {
    return endpoint;
  }

  public void setEndpoint(String endpoint) {
    this.endpoint = endpoint;
  }

  public String getInstanceType() {
    return instanceType;
  }

  public void setInstanceType(String instanceType) {
    this.instanceType = instanceType;
  }

  public AwsImageSpec getImage() {
    return image;
  }

  public void setImage(AwsImageSpec image) {
    this.image = image;
  }

  public AwsSubnetSelector getSubnets() {
    return subnets;
  }

  public void setSubnets(AwsSubnetSelector subnets) {
    this.subnets = subnets;
  }

  public AwsSecurityGroupSpec getSecurityGroups() {
    return securityGroups;
  }

  public void setSecurityGroups(AwsSecurityGroupSpec securityGroups) {
    this.securityGroups = securityGroups;
  }
}
