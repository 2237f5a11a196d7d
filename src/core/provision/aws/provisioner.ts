// The `aws` provisioner: the shared cloud-VM provisioner on the EC2 driver.
import { cloudVmProvisioner } from '../cloud-vm/provisioner'
import { awsDriver } from './driver'

export const awsProvisioner = cloudVmProvisioner(awsDriver)
