// Numbers shared by the service modules (SkyPilot's defaults where it has one).

/** Longest silence from a replica while a response is pending or streaming (`load_balancer.stream_timeout_seconds`). */
export const DEFAULT_STREAM_TIMEOUT_SECONDS = 120
/** Load balancer ports are taken from here upwards, as SkyPilot does. */
export const LB_PORT_START = 30001
/** Replicas a single request may be tried on. */
export const LB_MAX_ATTEMPTS = 3
