import { GROUP } from "./types.js";

// The operator's names, in one place: what users and other tools see of it on the objects it writes.

/** The operator's name: the value of the managed-by label on every object it owns, and its field manager. */
export const OPERATOR_NAME = "proxy-service-operator";

/**
 * The field manager of every write (server-side apply, status, patches): how the API server tells the operator's
 * fields from a user's or a GitOps tool's, and how observe finds who else owns a taken-over Service's selector.
 */
export const FIELD_MANAGER = OPERATOR_NAME;

/** The controller events name as their reporter (`kubectl describe` shows it); events.k8s.io/v1 asks for a qualified name. */
export const REPORTING_CONTROLLER = `${GROUP}/${OPERATOR_NAME}`;

/** Our finalizer on every ProxyService: its deletion waits until the taken-over Service is restored. */
export const FINALIZER = "proxyservice.msvcbench.io/restore-service";
