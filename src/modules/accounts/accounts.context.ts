// The accounts services' context: the common service context plus the access-token signer,
// which only the accounts module uses (to open sessions).
import type { ServiceContext } from '../../lib/context.ts';
import type { AccessTokenSigner } from '../../plugins/auth.ts';

export type AccountsContext = ServiceContext & { tokens: AccessTokenSigner };
