//! The [`grammers_session::Session`] implementation of [`GrammersSession`].

use grammers_session::types::{DcOption, PeerId, PeerInfo, UpdateState, UpdatesState};
use grammers_session::BoxFuture;
use session_core::Patch;

use crate::convert;
use crate::error::GrammersSessionError;
use crate::session::GrammersSession;

impl grammers_session::Session for GrammersSession {
    type Error = GrammersSessionError;

    fn home_dc_id(&self) -> Result<i32, GrammersSessionError> {
        self.with_session(convert::home_dc)
    }

    fn set_home_dc_id(&self, dc_id: i32) -> BoxFuture<'_, Result<(), GrammersSessionError>> {
        // Memory changes when the method is called, as in grammers' own sessions.
        let changed = self.change(|_| {
            let mut patch = Patch::new();
            patch.set_home_dc(Some(dc_id));
            patch
        });
        Box::pin(async move {
            changed?;
            self.durable().await
        })
    }

    fn dc_option(&self, dc_id: i32) -> Result<Option<DcOption>, GrammersSessionError> {
        self.with_session(|session| convert::dc_option(session, dc_id))
    }

    fn set_dc_option(
        &self,
        dc_option: &DcOption,
    ) -> BoxFuture<'_, Result<(), GrammersSessionError>> {
        let changed = self.change(|session| convert::set_dc_option(session, dc_option));
        Box::pin(async move {
            changed?;
            self.durable().await
        })
    }

    fn peer(&self, peer: PeerId) -> BoxFuture<'_, Result<Option<PeerInfo>, GrammersSessionError>> {
        Box::pin(async move {
            self.with_session(|session| match convert::peer_id(peer) {
                Some(id) => convert::peer_info(session, id),
                None => convert::self_peer(session),
            })
        })
    }

    fn cache_peer(&self, peer: PeerInfo) -> BoxFuture<'_, Result<(), GrammersSessionError>> {
        self.cache_peers(vec![peer])
    }

    fn cache_peers(&self, peers: Vec<PeerInfo>) -> BoxFuture<'_, Result<(), GrammersSessionError>> {
        Box::pin(async move {
            self.change_with(|session| {
                let mut all = Patch::new();
                for peer in &peers {
                    let mut patch = Patch::new();
                    convert::cache_peer(session, peer, &mut patch);
                    session.apply(&patch);
                    all.merge(patch);
                }
                all
            })?;
            self.eventually().await
        })
    }

    fn updates_state(&self) -> BoxFuture<'_, Result<UpdatesState, GrammersSessionError>> {
        Box::pin(async move { self.with_session(convert::updates_state) })
    }

    fn set_update_state(
        &self,
        update: UpdateState,
    ) -> BoxFuture<'_, Result<(), GrammersSessionError>> {
        Box::pin(async move {
            self.change(|session| convert::set_update_state(session, &update))?;
            self.eventually().await
        })
    }
}
