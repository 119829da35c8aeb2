# Ratify's default verification template (ratify-project/ratify v1.4.0, f3f6229,
# library/default/template.yaml), unchanged: every image of a Pod (containers, initContainers,
# ephemeralContainers) goes to the `ratify-provider` external-data provider; a system error, an
# error for any image, or any image whose verification failed is a violation, so the rule fails
# closed when Ratify cannot answer.
package ratifyverification

# Get data from Ratify
remote_data := response {
  images := [img | img = input.review.object.spec.containers[_].image]
  images_init := [img | img = input.review.object.spec.initContainers[_].image]
  images_ephemeral := [img | img = input.review.object.spec.ephemeralContainers[_].image]
  other_images := array.concat(images_init, images_ephemeral)
  all_images := array.concat(other_images, images)
  response := external_data({"provider": "ratify-provider", "keys": all_images})
}

# Base Gatekeeper violation
violation[{"msg": msg}] {
  general_violation[{"result": msg}]
}

# Check if there are any system errors
general_violation[{"result": result}] {
  err := remote_data.system_error
  err != ""
  result := sprintf("System error calling external data provider: %s", [err])
}

# Check if there are errors for any of the images
general_violation[{"result": result}] {
  count(remote_data.errors) > 0
  result := sprintf("Error validating one or more images: %s", remote_data.errors)
}

# Check if the success criteria is true
general_violation[{"result": result}] {
  subject_validation := remote_data.responses[_]
  subject_validation[1].isSuccess == false
  result := sprintf("Time=%s, failed to verify the artifact: %s, trace-id: %s", [subject_validation[1].timestamp, subject_validation[0], subject_validation[1].traceID])
}
