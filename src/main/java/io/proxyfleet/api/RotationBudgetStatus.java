package io.proxyfleet.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/**
 * A token bucket persisted in status so a restart neither refills nor forgets the budget. Written
 * only when rotations consume it; the current level is computed from {@code updatedAt}.
 */
public class RotationBudgetStatus {

  @JsonPropertyDescription(
      "Rotations available at updatedAt (fractional: the bucket refills continuously).")
  private Double available;

  @JsonPropertyDescription("When available was computed (RFC 3339).")
  private String updatedAt;

  public RotationBudgetStatus() {}

  public RotationBudgetStatus(Double available, String updatedAt) {
    this.available = available;
    this.updatedAt = updatedAt;
  }

  public Double getAvailable() {
    return available;
  }

  public void setAvailable(Double available) {
    this.available = available;
  }

  public String getUpdatedAt() {
    return updatedAt;
  }

  public void setUpdatedAt(String updatedAt) {
    this.updatedAt = updatedAt;
  }
}
