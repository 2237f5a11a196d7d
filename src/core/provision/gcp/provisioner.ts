// The `gcp` provisioner: the shared cloud-VM provisioner on the Compute Engine driver.
import { cloudVmProvisioner } from '../cloud-vm/provisioner'
import { gcpDriver } from './driver'

export const gcpProvisioner = cloudVmProvisioner(gcpDriver)
